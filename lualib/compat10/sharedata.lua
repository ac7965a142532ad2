-- compat10.sharedata: the name skynet 1.0 code uses for skynet.sharedata
return require "skynet.sharedata"
