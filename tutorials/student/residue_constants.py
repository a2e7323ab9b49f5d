"""Given, not an exercise: the reference module `reference.residue_constants` itself."""

import sys

from reference import residue_constants as _reference

sys.modules[__name__] = _reference
