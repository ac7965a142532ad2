-- compat10.stm: the name skynet 1.0 code uses for skynet.stm
return require "skynet.stm"
