from services.transfers.entrypoints.main import main

main()
