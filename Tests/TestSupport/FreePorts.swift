import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ephemeral loopback ports, found by binding port 0.
public enum FreePorts {
    public static func take(_ count: Int) -> [Int] {
        var sockets: [Int32] = []
        var ports: [Int] = []
        // Hold every socket until all are chosen so the kernel gives distinct ports.
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
            sockets.append(fd)
        }
        sockets.forEach { close($0) }
        return ports
    }
}
