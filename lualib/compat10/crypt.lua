-- compat10.crypt: the name skynet 1.0 code uses for skynet.crypt
return require "skynet.crypt"
