"""Alexa+: the practices as an MCP server (Streamable HTTP at /mcp), a thin shell over the core."""
