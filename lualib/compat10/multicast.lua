-- compat10.multicast: the name skynet 1.0 code uses for skynet.multicast
return require "skynet.multicast"
