-- compat10.socketchannel: the name skynet 1.0 code uses for skynet.socketchannel
return require "skynet.socketchannel"
