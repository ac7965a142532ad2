-- A service file that fails while it is being loaded, before skynet.start.
error("load_error_svc fails at load time")
