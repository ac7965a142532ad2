-- compat10.mqueue: the name skynet 1.0 code uses for skynet.mqueue
return require "skynet.mqueue"
