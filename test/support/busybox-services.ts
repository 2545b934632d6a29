/**
 * Compose services for e2e projects that are not Node: busybox httpd as a server (answering
 * `body` at /index.html on port 8080) and an idle busybox client to run wget from.
 */
export function busyboxServer(image: string, body: string, name = 'server', extra = ''): string {
  return `  ${name}:
    image: ${image}
    stop_signal: SIGKILL
    command: ["sh", "-c", "mkdir -p /www && echo ${body} > /www/index.html && exec httpd -f ${extra}-p 8080 -h /www"]
`;
}

/**
 * A busybox httpd that listens only on its container's own address (`hostname -i`), not on
 * 0.0.0.0 nor loopback, as apps started with `--host $(hostname -i)` do.
 */
export function busyboxAddressServer(image: string, body: string, name: string): string {
  return `  ${name}:
    image: ${image}
    stop_signal: SIGKILL
    command: ["sh", "-c", "mkdir -p /www && echo ${body} > /www/index.html && exec httpd -f -p $$(hostname -i):8080 -h /www"]
`;
}

export function busyboxClient(image: string, name = 'client', labels = ''): string {
  return `  ${name}:
    image: ${image}
    stop_signal: SIGKILL
    command: ["sh", "-c", "exec sleep 100000"]
${labels}`;
}
