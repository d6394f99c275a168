"""The base every hybridstack component builds on: typed children that users can reshape.

Every child resource a component creates is named by a *role* (``"bucket"``, ``"role"``,
``"distribution"`` ...). Users pass ``transform={"bucket": fn}`` to adjust the arguments of that
child before it is created, the way SST's ``transform`` works, so nobody forks a component to
change one property. A transform receives the keyword arguments as a dict and either edits it in
place or returns a new dict.

Example:
    def all_edge_locations(args: dict) -> None:
        args["price_class"] = "PriceClass_All"

    media = MediaStore("media", {"processing_handler": "hybridstack.services.media.events.handle"},
                       transform={"distribution": all_edge_locations})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import pulumi

from hybridstack.components.args import ComponentArgsError

Transform = Callable[[dict[str, Any]], dict[str, Any] | None]
"""Adjusts a child's keyword arguments in place, or returns replacement arguments."""

R = TypeVar("R", bound=pulumi.Resource)

__all__ = ["ComponentArgsError", "HybridComponent", "Transform"]


class HybridComponent(pulumi.ComponentResource):
    """A ComponentResource whose children are created through ``child`` so transforms apply.

    Subclasses name their child roles in ``TRANSFORMS``, a TypedDict of role -> Transform (the
    type of their ``transform`` argument); a transform for any other role is rejected up front
    with the list of roles that exist, instead of being silently ignored.
    """

    TYPE: ClassVar[str] = "hybridstack:index:Component"
    TRANSFORMS: ClassVar[type | None] = None  # a TypedDict: child role -> Transform

    @classmethod
    def child_roles(cls) -> tuple[str, ...]:
        """The roles of the children this component creates (the keys of ``TRANSFORMS``)."""
        return () if cls.TRANSFORMS is None else tuple(cls.TRANSFORMS.__annotations__)

    def __init__(
        self,
        name: str,
        *,
        transform: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> None:
        transforms = dict(transform or {})
        roles = self.child_roles()
        unknown = sorted(set(transforms) - set(roles))
        if unknown:
            raise ComponentArgsError(
                f"{type(self).__name__} {name!r}: transform has no child role(s) "
                f"{', '.join(unknown)}; the roles are: {', '.join(roles)}"
            )
        super().__init__(self.TYPE, name, dict(props or {}), opts)
        self._name = name
        self._transforms = transforms

    @property
    def component_name(self) -> str:
        """The logical name the component was created with (children's names derive from it)."""
        return self._name

    def child(
        self,
        role: str,
        resource_type: type[R],
        name: str,
        args: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> R:
        """Create a child resource of ``resource_type`` after applying the user's transform."""
        if role not in self.child_roles():
            raise AssertionError(f"{type(self).__name__} does not declare child role {role!r}")
        kwargs = dict(args)
        transform = self._transforms.get(role)
        if transform is not None:
            replaced = transform(kwargs)
            if replaced is not None:
                kwargs = dict(replaced)
        child_opts = pulumi.ResourceOptions(parent=self)
        if opts is not None:
            child_opts = pulumi.ResourceOptions.merge(child_opts, opts)
        return resource_type(name, **kwargs, opts=child_opts)
