-- compat10.mysql: the name skynet 1.0 code uses for skynet.db.mysql
return require "skynet.db.mysql"
