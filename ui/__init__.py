"""What people use: the command line, the web chat, the widget and the HTTP API. A thin layer over `rag`."""
