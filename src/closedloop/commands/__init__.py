"""The built-in commands of ``closedloop``. Each module is a built-in plugin (listed in
``closedloop.plugins.BUILTINS``) that adds its commands through ``closedloop_add_commands(cli)``, the hook an
installed plugin uses, so the built-in commands show a plugin author how it is done."""
