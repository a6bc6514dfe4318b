from django.apps import AppConfig


class McpConfig(AppConfig):
    name = "hearth.mcp"
    label = "mcp"
