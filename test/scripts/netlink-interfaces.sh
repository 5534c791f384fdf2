# What programs ask about network interfaces, through rtnetlink (getifaddrs,
# if_nameindex, iproute2) and the SIOCGIF* ioctls. Compared with the same
# script run natively in a new network namespace (unshare -n), which is
# what the sandbox shows until it has a network stack: loopback, down.
ip link
ip addr
ip route
ip -6 route
python3 -c 'import socket; print(socket.if_nameindex(), socket.if_nametoindex("lo"), socket.if_indextoname(1))'
python3 -c '
import socket
try:
    socket.if_nametoindex("nosuchif0")
except OSError as e:
    print("missing:", e)'
node -e 'console.log(JSON.stringify(require("os").networkInterfaces()))'
