"""Registry rules and models, free of Flask, SQL, marshmallow and Kafka."""
