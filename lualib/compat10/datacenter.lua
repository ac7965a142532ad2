-- compat10.datacenter: the name skynet 1.0 code uses for skynet.datacenter
return require "skynet.datacenter"
