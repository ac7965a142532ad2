-- compat10.redis: the name skynet 1.0 code uses for skynet.db.redis
return require "skynet.db.redis"
