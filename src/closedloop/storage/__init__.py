"""Built-in stores, registered through ``closedloop_register_stores`` like any plugin's."""
