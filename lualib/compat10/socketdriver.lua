-- compat10.socketdriver: the name skynet 1.0 code uses for skynet.socketdriver
return require "skynet.socketdriver"
