"""python -m app.ops run|test|setup."""

import sys

from app.ops.cli import main

sys.exit(main())
