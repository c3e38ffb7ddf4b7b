"""Built-in channels: how messages leave a desk or how contacts are recorded."""
