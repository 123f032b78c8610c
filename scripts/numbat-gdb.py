python print("numbat-gdb: helpers loaded")
