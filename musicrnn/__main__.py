from musicrnn.cli import main

raise SystemExit(main())
