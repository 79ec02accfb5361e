from palsar2.cli import main

main()
