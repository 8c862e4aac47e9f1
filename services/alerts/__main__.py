from services.alerts.entrypoints.main import main

main()
