-- compat10.snax: the name skynet 1.0 code uses for skynet.snax
return require "skynet.snax"
