"""What people use: the command line, the web chat, the widget and the HTTP API. A thin layer over `rag`.

The edge: the one `Settings` (`ui.settings`) is read here only, and `ui.wiring` turns it into the objects
`index` and `rag` take.
"""
