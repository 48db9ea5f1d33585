// Catch2 entry point for the integration tests (they start the real roomctl binary).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
