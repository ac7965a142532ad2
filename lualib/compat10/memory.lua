-- compat10.memory: the name skynet 1.0 code uses for skynet.memory
return require "skynet.memory"
