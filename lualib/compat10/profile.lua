-- compat10.profile: the name skynet 1.0 code uses for skynet.profile
return require "skynet.profile"
