"""Remote commands to stations, recorded with their outcomes: operations, configuration,
auto configuration and the local authorization list."""
