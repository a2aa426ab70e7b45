import socket

import pytest


def test_tripwire_blocks_the_internet():
    with pytest.raises(RuntimeError, match="reach the network"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)


def test_tripwire_allows_loopback():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.create_connection(srv.getsockname(), timeout=1)
    c.close()
    srv.close()
