"""Given, not an exercise: the reference module `reference.weights` itself."""

import sys

from reference import weights as _reference

sys.modules[__name__] = _reference
