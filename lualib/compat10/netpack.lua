-- compat10.netpack: the name skynet 1.0 code uses for skynet.netpack
return require "skynet.netpack"
