-- compat10.cluster: the name skynet 1.0 code uses for skynet.cluster
return require "skynet.cluster"
