-- compat10.dns: the name skynet 1.0 code uses for skynet.dns
return require "skynet.dns"
