"""What a client sees of an error: expected failures with their code, everything else masked."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from services.errors import UserError


class PublicErrors(MaskErrors):
    """``UserError``s keep their message and gain ``extensions.code``; any other exception
    raised while executing becomes "Unexpected error.". Errors without a path (syntax,
    validation, variable coercion) describe the request itself and are shown as they are."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: error.path is not None)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, UserError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": original.code},
            )
        return super().anonymise_error(error)
