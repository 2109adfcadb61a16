import sys

from logitreg.cli import main

sys.exit(main())
