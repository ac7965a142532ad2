-- compat10.sharemap: the name skynet 1.0 code uses for skynet.sharemap
return require "skynet.sharemap"
