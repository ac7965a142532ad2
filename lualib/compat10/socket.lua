-- compat10.socket: the name skynet 1.0 code uses for skynet.socket
return require "skynet.socket"
