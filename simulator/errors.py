"""Pipedrive's error body, raised anywhere and rendered by the server."""

from __future__ import annotations

import orjson

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


class ApiError(Exception):
    def __init__(self, status: int, message: str, error_info: str = ERROR_INFO) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_info = error_info

    def body(self) -> bytes:
        return error_body(self.message, self.error_info)


def error_body(message: str, error_info: str = ERROR_INFO) -> bytes:
    return orjson.dumps(
        {"success": False, "error": message, "error_info": error_info, "data": None, "additional_data": None}
    )


def not_found(entity_label: str) -> ApiError:
    return ApiError(404, f"{entity_label} not found")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)
