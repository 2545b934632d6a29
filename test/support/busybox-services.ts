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

export function busyboxClient(image: string, name = 'client', labels = ''): string {
  return `  ${name}:
    image: ${image}
    stop_signal: SIGKILL
    command: ["sh", "-c", "exec sleep 100000"]
${labels}`;
}
