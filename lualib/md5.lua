-- require "md5" in a service: the library lives in luaclib/md5.so (as
-- md5.core, with sum, sumhexa, hmacmd5, exor, crypt, decrypt). This file
-- makes the node's lua_path find it before any md5.lua of the system's.
return require "md5.core"
