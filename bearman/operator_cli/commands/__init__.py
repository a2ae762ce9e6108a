"""One module per noun: each adds its sub-commands with `add_commands(commands, common)`."""
