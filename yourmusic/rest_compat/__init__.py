"""The REST contract: a route table mapped onto the shared resolvers, plus its OpenAPI document."""
