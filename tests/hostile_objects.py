"""Objects a learner might leave in an answer name whose every inspection raises: the
exercise engine must judge them "incorrect", never raise. Shared by the engine's unit tests
and the catalogue-wide safety test."""

from __future__ import annotations


class Boom(Exception):
    pass


class BigBoom(BaseException):
    pass


def boom(*args, **kwargs):
    raise Boom("boom")


def big_boom(*args, **kwargs):
    raise BigBoom("big boom")


class HostileDict(dict):
    items = keys = values = __iter__ = __len__ = __getitem__ = __eq__ = __repr__ = __str__ = get = boom


class HostileList(list):
    __iter__ = __len__ = __getitem__ = __eq__ = __repr__ = __str__ = __bool__ = boom


class HostileObject:
    __getattr__ = __eq__ = __repr__ = __str__ = __len__ = __iter__ = __bool__ = __call__ = __float__ = boom


class HostileEverything:
    def __getattribute__(self, name):  # even __class__
        raise Boom(name)


class BaseExceptionObject:
    __getattr__ = __eq__ = __repr__ = __str__ = __len__ = __iter__ = __bool__ = __call__ = __float__ = big_boom


class UnprintableError(Exception):
    def __str__(self):
        raise Boom("no text")


def raises_unprintable(*args, **kwargs):
    raise UnprintableError()


class HostileMeta(type):
    def __getattr__(cls, name):
        raise Boom(name)

    def __call__(cls, *args, **kwargs):
        raise Boom("cannot make one")


class HostileClass(metaclass=HostileMeta):  # for answers that are classes
    pass
