"""One exception hierarchy for the whole library.

Library code raises these with the file or parameter at fault in the message; the CLI maps them to
one line on stderr plus an exit code, and the server maps them to an HTTP status, each in one place
(``palsar2.cli`` and ``palsar2.server.app``). Library code never raises HTTP errors or exits.
"""

from __future__ import annotations


class Palsar2Error(Exception):
    """Root of every error palsar2 raises on purpose."""

    exit_code = 1
    http_status = 500


class ParameterError(Palsar2Error, ValueError):
    """A user-supplied option or argument is invalid."""

    exit_code = 2
    http_status = 400


class ProductError(Palsar2Error):
    """A product file, directory, zip or export cannot be read as PALSAR-2 data."""

    exit_code = 3
    http_status = 422


class IdentifierError(ProductError, ValueError):
    """A scene ID or product ID does not follow JAXA's grammar."""


class SummaryError(ProductError):
    """summary.txt is malformed."""


class GeoreferenceError(ProductError):
    """The GeoTIFF's georeferencing is missing or not what FORMAT.md allows."""


class CatalogError(Palsar2Error):
    """The catalog store cannot do what was asked."""

    exit_code = 4
    http_status = 500


class NotFoundError(CatalogError, KeyError):
    """An item, collection or asset does not exist."""

    http_status = 404

    def __str__(self) -> str:  # KeyError quotes its message; we do not want that
        return str(self.args[0]) if self.args else ""


class ConflictError(CatalogError):
    """The same ID already exists with different content (use replace)."""

    http_status = 409


class QueryError(Palsar2Error, ValueError):
    """A catalog query is malformed (bad date, bbox, property or operator)."""

    exit_code = 2
    http_status = 400


class RasterError(Palsar2Error):
    """A raster operation cannot be done (grids do not align, unknown filter, ...)."""

    exit_code = 5
    http_status = 422


class ChangeError(Palsar2Error):
    """Change detection cannot be done as asked (e.g. mixing geometries in a pair)."""

    exit_code = 6
    http_status = 422


class PairError(ChangeError):
    """Two scenes do not form a valid before/after pair."""


class ThresholdError(ChangeError):
    """A threshold could not be found honestly (degenerate or unimodal histogram)."""


class SimulationError(Palsar2Error):
    """The simulator was asked for something it cannot make."""

    exit_code = 7
    http_status = 422
