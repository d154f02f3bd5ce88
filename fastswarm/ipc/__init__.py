"""The master/worker protocol: typed messages, their wire format, sockets and processes."""
