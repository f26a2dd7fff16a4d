"""Django's SQLite backend, with every transaction taking its turn in Harken's queue of writers."""
