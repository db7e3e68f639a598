(module (func                          ;)))
